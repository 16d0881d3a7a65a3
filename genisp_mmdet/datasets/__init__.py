from .transforms import LoadRawImageFromFile

__all__ = ['LoadRawImageFromFile']
