"""The subset of the Las Cumbres Observatory "Observatory Control System" API that the
TOM Toolkit's OCS facility speaks (observation portal and science archive), so that a
TOM adds PyROS as a facility (docs/tom.md).

An OCS *request group* is a PyROS Request, an OCS *request* one of its Sequences, a
*configuration* an Album with its Plans. Everything goes through the same store, the
same validation and the same rights as every other way in: this package only
translates shapes.
"""
