"""Jifang's shared internal library: every service imports it, no service imports another."""
