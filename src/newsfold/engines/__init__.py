"""Engines run the pipeline's steps (`newsfold.pipeline`): `local` on one machine into one store."""
