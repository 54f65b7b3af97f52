"""Writes of the ledger context: the money split and the postings."""
