"""`shorewatch replay`: recorded sensor data through the live detectors, in event time.

Engineers compare threshold sets on the same data: the same files and configuration give the
same events, byte for byte, and the same events that the live service raised on that data.
"""
