"""On-post compliance (POST-1..POST-8): away periods, violations, covers, reports, duty checks."""
