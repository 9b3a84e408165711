// PortCatalog
