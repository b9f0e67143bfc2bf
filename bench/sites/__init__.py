"""Sites the benchmarks serve on loopback (invented content only)."""
