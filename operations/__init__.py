"""Operating the data: export and import, forgetting a customer, reindexing, the doctor's checks."""
