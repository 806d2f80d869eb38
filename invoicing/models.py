"""Invoices for premiums (R70-R75): built in the invoicing issue."""
