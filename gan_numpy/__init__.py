"""gan_numpy: a small neural-network engine in pure NumPy, written to be read.

It imports only NumPy and the standard library and knows nothing about drums. Read it in this
order; each file builds only on the ones before it:

kernels.py     convolution: the plain loop first, then im2col / col2im and the matrix products
layers.py      Dense, Conv2D, ConvTranspose2D, activations, BatchNorm, ...: forward + backward
network.py     Sequential, parameter counting, model summary
losses.py      binary cross-entropy from logits, hinge losses
optim.py       Adam and an exponential moving average of weights
gan.py         the two passes of a GAN training step: D on a batch, G through D
checkpoint.py  save / load .npz checkpoints, atomically and without pickle
memory.py      an opt-in allocator setting for processes that train (not done on import)
"""
