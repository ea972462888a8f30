"""gan_numpy: a small neural-network engine in pure NumPy, written to be read.

It imports only NumPy and the standard library and knows nothing about drums. Read it in this
order; each file builds only on the ones before it (examples/toy_gan.py uses it all in a few
lines: start there):

kernels.py       convolution as the textbook writes it: plain loops, then im2col / col2im
fast_kernels.py  the same three computations as the layers run them, each trick named
layers.py        Dense, Conv2D, ConvTranspose2D, activations, norms, Sequential: forward +
                 backward
losses.py        binary cross-entropy from logits, hinge losses
optim.py         Adam and an exponential moving average of weights
gan.py           one GAN training step: D on real and generated data, G through a frozen D
network.py       parameter counting, model summary
checkpoint.py    save / load .npz checkpoints, atomically and without pickle
memory.py        an opt-in allocator setting for processes that train (not done on import)
"""
