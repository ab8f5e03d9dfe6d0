"""Builds: the seeds' `xorq.ibis_yaml`."""
