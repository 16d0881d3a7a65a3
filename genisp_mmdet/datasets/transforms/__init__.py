from .loading import LoadRawImageFromFile

__all__ = ['LoadRawImageFromFile']
