"""Event classes generated from proto/ by `make proto`: do not edit."""
