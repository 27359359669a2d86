"""Domain rules. Services call the store for AWS and raise cloudshare.errors; no wire formats here."""
