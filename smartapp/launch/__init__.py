"""SMART App Launch: EHR and standalone launch, callback, encrypted token store, refresh, logout."""
