"""Studies: curriculum, grades and the deliberation of the studies jury (SPEC R1.4–R1.11, I12, I13)."""
