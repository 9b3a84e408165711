// LiveCapture
