// CaptureFile
