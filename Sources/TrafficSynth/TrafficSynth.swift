// TrafficSynth
