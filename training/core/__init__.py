"""The kernel (layer L0): base model helpers, clock, errors, audit, markdown, signals, security."""
