"""gan_numpy: a small neural-network engine in pure NumPy, written to be read.

kernels.py     convolution geometry, im2col / col2im and the matrix products (the hot paths)
layers.py      Dense, Conv2D, ConvTranspose2D, activations, BatchNorm, ...: forward + backward
network.py     Sequential, parameter counting, model summary
losses.py      binary cross-entropy from logits, hinge losses
optim.py       Adam and an exponential moving average of weights
checkpoint.py  save / load .npz checkpoints, atomically and without pickle
"""
