"""The SpiNNaker2 target: py-spinnaker2 network scripts, PE placement, float32 simulation."""
