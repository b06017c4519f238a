"""Fitting the learned predictors of the sparse-attention methods (tools/fit_predictors.py).

capture.py runs a frozen HF model on calibration text and hands out each layer's Q, K (after
RoPE, before the softmax scale, as attnscope's forward pass captures them) and V; each method
module (dsa.py, sbm.py, sea.py, sac.py) exposes fit(captures, options) -> (tensors, metadata).
"""
