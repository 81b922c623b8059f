/**
 * Table II of the IMML paper (link prediction on FB-IMG and WN9-IMG): MRR, H@1, H@3, H@10.
 * Printed next to our measurements; these are the paper's numbers, not ours.
 */
export const PAPER_TABLE2: Record<'fb-img' | 'wn9-img', Record<string, [number, number, number, number]>> = {
  'fb-img': {
    transe: [0.712, 0.618, 0.781, 0.859],
    distmult: [0.706, 0.606, 0.742, 0.808],
    complex: [0.808, 0.757, 0.845, 0.892],
    rotate: [0.794, 0.744, 0.827, 0.883],
    transae: [0.742, 0.691, 0.785, 0.844],
    ikrl: [0.755, 0.698, 0.794, 0.857],
    tbkge: [0.812, 0.764, 0.85, 0.902],
    mmkrl: [0.827, 0.783, 0.857, 0.906],
    otkge: [0.843, 0.799, 0.876, 0.916],
    'otkge+imml': [0.854, 0.812, 0.887, 0.927],
  },
  'wn9-img': {
    transe: [0.865, 0.765, 0.816, 0.871],
    distmult: [0.901, 0.895, 0.913, 0.925],
    complex: [0.908, 0.903, 0.907, 0.928],
    rotate: [0.91, 0.901, 0.915, 0.926],
    transae: [0.898, 0.894, 0.908, 0.922],
    ikrl: [0.901, 0.9, 0.912, 0.928],
    tbkge: [0.912, 0.904, 0.914, 0.931],
    mmkrl: [0.913, 0.905, 0.917, 0.932],
    otkge: [0.923, 0.911, 0.93, 0.947],
    'otkge+imml': [0.93, 0.916, 0.937, 0.955],
  },
};
