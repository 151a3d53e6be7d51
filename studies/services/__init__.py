"""What changes studies data (convention 2): curriculum, grades, jury, renewal."""
