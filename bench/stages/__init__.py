"""One module per measured stage; each adds its figures (or says why it was skipped) to the report."""
