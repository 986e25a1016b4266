# a toy spectrum for SModelS: a gluino pair produced at 13 TeV, each gluino -> d d~ neutralino1
BLOCK MASS
   1000021   mg   # gluino
   1000022   mlsp   # neutralino1
DECAY   1000021   1.00000000E+00   # gluino
     1.00000000E+00   3   1000022   1   -1
DECAY   1000022   0.00000000E+00   # neutralino1
XSECTION   1.30E+04   2212   2212   2   1000021   1000021
  0   0   0   0   0   0    1.00000000E-01 toy
