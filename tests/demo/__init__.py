"""Tests of the demo's data (demo/): every printed login works, every state shows, and
seeding twice changes nothing."""
