import sys; sys.exit("stub")
