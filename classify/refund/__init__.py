"""The smartphone refund verdict (Law 2300-1): facts, rules P1..P9 as data, a learned layer."""
