"""Wire formats: how each published API shapes responses, errors and paging."""
