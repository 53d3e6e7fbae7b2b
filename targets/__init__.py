"""nirc's targets, installed as ``nirc.targets``."""
