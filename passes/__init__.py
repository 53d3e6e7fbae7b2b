"""nirc's passes, installed as ``nirc.passes``."""
