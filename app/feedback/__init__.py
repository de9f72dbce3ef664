"""Readers' reports of an error on a page, and staff's review of them."""
