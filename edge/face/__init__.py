"""The face clock-in terminal's pipeline: capture, motion gate, detection, encoding, match, vote.

matcher, motion, liveness and vote are pure (numpy only); encode, pipeline and capture hold
the dlib/face_recognition and OpenCV parts; gallery keeps the encrypted local gallery.
"""
