/**
 * The classification numbers of the IMML paper (Li, Song, Zheng, Li, Sun, Xiong, "Interventional
 * Imbalanced Multi-Modal Representation Learning via beta-Generalization Front-Door Criterion"),
 * copied by hand from its Tables I, III and IV, for printing beside our results. Accuracy in percent.
 */

/** Dataset keys of the paper's tables. */
export type PaperDataset = 'food101' | 'mvsa-single' | 'mvsa-multiple' | 'hfm';

export const PAPER_DATASET_TITLES: Readonly<Record<PaperDataset, string>> = {
  food101: 'Food101',
  'mvsa-single': 'MVSA-Single',
  'mvsa-multiple': 'MVSA-Multiple',
  hfm: 'HFM',
};

/** [eps = 0, eps = 5] per dataset. */
export type PaperRow = Readonly<Record<PaperDataset, readonly [number, number]>>;

function row(f: [number, number], s: [number, number], m: [number, number], h: [number, number]): PaperRow {
  return { food101: f, 'mvsa-single': s, 'mvsa-multiple': m, hfm: h };
}

/** Table I, keyed by row label (ours: model label + " + " + plug-in label). */
export const PAPER_TABLE1: Readonly<Record<string, PaperRow>> = {
  Bow: row([82.5, 61.68], [48.79, 42.2], [65.02, 54.72], [74.95, 70.04]),
  'Image-only': row([64.62, 34.72], [64.12, 49.36], [67.08, 60.95], [75.82, 73.53]), // ResNet-152 row
  BERT: row([86.46, 67.38], [75.61, 69.5], [67.59, 64.59], [88.09, 82.4]),
  'L-f': row([90.69, 68.49], [76.88, 63.46], [66.48, 62.2], [87.4, 83.35]),
  'C-Bow': row([70.77, 38.28], [64.09, 49.95], [66.24, 62.45], [78.33, 75.39]),
  'C-BERT': row([88.2, 61.1], [65.59, 50.7], [67.45, 61.95], [87.35, 81.91]),
  MMBT: row([91.52, 72.32], [78.5, 71.99], [67.36, 64.22], [87.25, 80.92]),
  TMC: row([89.86, 73.93], [74.88, 66.72], [68.65, 64.82], [87.31, 83.79]),
  QMF: row([92.92, 76.03], [78.07, 73.85], [69.4, 64.81], [87.57, 83.9]),
  'L-f + PMR': row([90.58, 68.14], [79.38, 74.37], [70.18, 62.18], [88.1, 85.01]),
  'TMC + PMR': row([89.72, 73.56], [77.84, 70.33], [68.26, 64.82], [87.51, 83.91]),
  'QMF + PMR': row([92.71, 75.07], [78.03, 71.87], [68.77, 65.59], [88.3, 84.6]),
  'L-f + UMT': row([92.19, 75.42], [80.85, 72.73], [69.47, 65.71], [88.22, 85.16]),
  'TMC + UMT': row([90.94, 74.07], [77.76, 70.99], [69.88, 66.21], [87.55, 84.07]),
  'QMF + UMT': row([93.27, 76.01], [80.07, 74.28], [70.53, 67.47], [88.61, 84.88]),
  'L-f + IMML': row([92.38, 75.38], [80.73, 76.88], [70.47, 65.64], [88.96, 84.41]),
  'TMC + IMML': row([91.3, 74.71], [77.65, 67.24], [70.23, 66.06], [87.46, 84.61]),
  'QMF + IMML': row([93.46, 76.31], [81.12, 74.76], [70.59, 66.53], [89.06, 85.56]),
};

/** Table III: p-values of X + IMML vs X, [eps = 0, eps = 5], for X = L-f, TMC, QMF. */
export const PAPER_TABLE3: Readonly<Record<PaperDataset, Readonly<Record<'L-f' | 'TMC' | 'QMF', readonly [number, number]>>>> = {
  food101: { 'L-f': [2.84e-6, 6.62e-7], TMC: [2.68e-6, 4.31e-5], QMF: [7.02e-6, 6.55e-3] },
  'mvsa-single': { 'L-f': [2.38e-5, 8.04e-7], TMC: [6.62e-6, 3.46e-4], QMF: [1.21e-7, 2.24e-5] },
  'mvsa-multiple': { 'L-f': [3.67e-5, 7.05e-6], TMC: [1.29e-5, 2.19e-5], QMF: [1.35e-5, 4.22e-6] },
  hfm: { 'L-f': [2.61e-5, 8.29e-5], TMC: [1.97e-2, 1.34e-5], QMF: [3.77e-6, 3.01e-6] },
};

/** Table IV (accuracy, eps = 0): X + IMML without L_mdke, without L_beta, full. */
export const PAPER_TABLE4: Readonly<Record<'L-f' | 'TMC' | 'QMF', Readonly<Record<'noMdke' | 'noBeta' | 'full', Readonly<Record<PaperDataset, number>>>>>> = {
  'L-f': {
    noMdke: { food101: 91.73, 'mvsa-single': 79.96, 'mvsa-multiple': 69.58, hfm: 88.45 },
    noBeta: { food101: 91.47, 'mvsa-single': 80.35, 'mvsa-multiple': 69.41, hfm: 88.36 },
    full: { food101: 92.38, 'mvsa-single': 80.73, 'mvsa-multiple': 70.47, hfm: 88.96 },
  },
  TMC: {
    noMdke: { food101: 90.64, 'mvsa-single': 75.92, 'mvsa-multiple': 69.17, hfm: 87.11 },
    noBeta: { food101: 90.86, 'mvsa-single': 75.53, 'mvsa-multiple': 68.59, hfm: 87.36 },
    full: { food101: 91.3, 'mvsa-single': 77.65, 'mvsa-multiple': 70.23, hfm: 87.46 },
  },
  QMF: {
    noMdke: { food101: 93.37, 'mvsa-single': 80.15, 'mvsa-multiple': 69.65, hfm: 88.7 },
    noBeta: { food101: 93.29, 'mvsa-single': 79.19, 'mvsa-multiple': 70.24, hfm: 88.41 },
    full: { food101: 93.46, 'mvsa-single': 81.12, 'mvsa-multiple': 70.59, hfm: 89.06 },
  },
};

/** Fig. 4's grid: gamma1 in {1e-1 .. 1e-6}, gamma2 in {1e1 .. 1e4}. */
export const FIG4_GAMMA1 = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6] as const;
export const FIG4_GAMMA2 = [1e1, 1e2, 1e3, 1e4] as const;
