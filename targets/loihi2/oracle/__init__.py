"""The Loihi 2 test oracle (Lava in its own virtual environment, used through files): see README.md."""
