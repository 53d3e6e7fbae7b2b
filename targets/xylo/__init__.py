"""Xylo (SynSense): resource models, mapping, arithmetic, emitter and bit-exact simulator."""
