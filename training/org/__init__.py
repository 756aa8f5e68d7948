"""People and organisation (layer L0): departments, users, roles, accounts."""
