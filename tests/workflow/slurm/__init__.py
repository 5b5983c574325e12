"""A single-node SLURM cluster on loopback for the cluster-execution tests."""
