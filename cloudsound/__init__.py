"""`cloudsound`: the command-line client of the Cloud Sound API."""
