"""Recorded traffic: record scrubbed vcrpy cassettes, replay them offline, validate, diff, proxy."""
