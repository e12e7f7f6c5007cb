// The coverage heat map: a table of categories × districts whose cells carry their count as text and a shade, and say 「不足」 in words where the count is below the target.
import type { Coverage } from "./queries";

/** The shade class of a count at or above the target: thirds of the largest count. */
function levelOf(count: number, largest: number): string {
  if (count * 3 <= largest) return "level-1";
  if (count * 3 <= largest * 2) return "level-2";
  return "level-3";
}

/** Fills `table` with the coverage; answers how many cells are below `target`. */
export function renderHeatMap(table: HTMLTableElement, coverage: Coverage, target: number): number {
  const counts = new Map(coverage.cells.map((cell) => [`${cell.category.code}\u0000${cell.district}`, cell.count]));
  const largest = Math.max(1, ...coverage.cells.map((cell) => cell.count));
  table.replaceChildren();
  const caption = table.createCaption();
  caption.textContent = `圏域×分類の件数（目標：各圏域${target}か所以上。不足のセルは「不足」と表示）`;
  const headRow = table.createTHead().insertRow();
  const corner = document.createElement("th");
  corner.scope = "col";
  corner.textContent = "分類＼圏域";
  headRow.append(corner);
  for (const district of coverage.districts) {
    const heading = document.createElement("th");
    heading.scope = "col";
    heading.textContent = district;
    headRow.append(heading);
  }
  const body = table.createTBody();
  let below = 0;
  for (const category of coverage.categories) {
    const row = body.insertRow();
    row.dataset.category = category.code;
    const heading = document.createElement("th");
    heading.scope = "row";
    heading.textContent = category.labelJa;
    row.append(heading);
    for (const district of coverage.districts) {
      const count = counts.get(`${category.code}\u0000${district}`) ?? 0;
      const cell = row.insertCell();
      cell.dataset.district = district;
      cell.dataset.count = String(count);
      if (count < target) {
        below += 1;
        cell.className = "cell gap";
        cell.textContent = `${count} 不足`;
      } else {
        cell.className = `cell ${levelOf(count, largest)}`;
        cell.textContent = String(count);
      }
    }
  }
  return below;
}
