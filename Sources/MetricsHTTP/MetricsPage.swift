// Placeholder until live --metrics lands.
