"""Registration services, one module per part: `offers` (places, the 15 days, the waiting list),
`enrolment` (the registration form, instalments, students, the BAC+5 proof), `visa` (R2.8, I11)."""
