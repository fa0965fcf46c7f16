/** The served iALS fold-in (a low-rank update in the Gramian's eigenbasis) against the Cholesky closed form. */
import { foldInIals, ialsFoldInBasis } from '../../src/ranking/ials-fold-in';
import { foldInUser, gramian } from '../../src/ranking/ials';
import { mulberry32 } from '../../src/trainer/random';

const OPTIONS = { regularization: 0.005, regularizationExponent: 1, unobservedWeight: 0.1 };

function randomItems(count: number, dim: number, seed: number) {
  const random = mulberry32(seed);
  // Vectors of a trained model are far from isotropic: give the directions different scales.
  return Float32Array.from({ length: count * dim }, (_, n) => (random() - 0.5) * (1 + (n % dim)) * 0.1);
}

describe('iALS fold-in in the eigenbasis', () => {
  const dim = 16;
  const itemVectors = randomItems(200, dim, 3);
  const model = { dim, itemVectors };
  const gram = gramian(itemVectors, dim);
  const basis = ialsFoldInBasis(model, gram);

  it.each([1, 2, 7, 15, 16, 40])('gives the closed form of the Cholesky solve for a user with %i items', (count) => {
    const random = mulberry32(count);
    const items = new Set<number>();
    while (items.size < count) items.add(Math.floor(random() * 200));
    const rows = [...items];
    const exact = foldInUser(model, gram, rows, OPTIONS);
    const folded = foldInIals(basis, rows, OPTIONS);
    const scale = Math.max(...Array.from(exact, Math.abs));
    expect(scale).toBeGreaterThan(0);
    for (let a = 0; a < dim; a++) expect(Math.abs(folded[a]! - exact[a]!)).toBeLessThan(1e-5 * scale);
  });

  it('a user with no items gets the zero vector', () => {
    expect(Array.from(foldInIals(basis, [], OPTIONS))).toEqual(new Array(dim).fill(0));
  });

  it('the eigenbasis reproduces the Gramian: Q Λ Qᵀ = G', () => {
    for (let a = 0; a < dim; a++) {
      for (let b = 0; b < dim; b++) {
        let sum = 0;
        for (let j = 0; j < dim; j++) sum += basis.eigenvectors[a * dim + j]! * basis.eigenvalues[j]! * basis.eigenvectors[b * dim + j]!;
        expect(sum).toBeCloseTo(gram[a * dim + b]!, 6);
      }
    }
  });
});
