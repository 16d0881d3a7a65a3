from .genisp_data_preprocessor import GenISPDataPreprocessor

__all__ = ['GenISPDataPreprocessor']
