# RAW-NOD, Sony RX100 VII subset, under mmdet's usual keys: train on its
# train split, validate on val, test on test. The settings are defined in
# ./raw-nod.py; configs that test on the Nikon D750 subset override
# test_dataloader.dataset.ann_file and test_evaluator.ann_file.
_base_ = './raw-nod.py'
data_root = _base_.raw_nod_data_root
train_dataloader = _base_.raw_nod_train_dataloader
val_dataloader = _base_.raw_nod_val_dataloader
test_dataloader = _base_.raw_nod_test_dataloader
val_evaluator = _base_.raw_nod_val_evaluator
test_evaluator = _base_.raw_nod_test_evaluator
