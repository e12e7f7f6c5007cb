// Test support for the crew's QR scan: a QR code (encoded by the `qrcode` package) drawn into one Y4M frame, the format Chromium's fake camera plays (--use-file-for-fake-video-capture).
import { writeFileSync } from "node:fs";
import QRCode from "qrcode";

const WIDTH = 640;
const HEIGHT = 480;
/** Luma of white paper and black ink (video range); chroma neutral. */
const WHITE = 235;
const BLACK = 16;
const QUIET_MODULES = 4;

/** Writes `text` as a QR code centred in a 640x480 grey-scale Y4M frame at `path`; Chromium loops the one frame. */
export function writeQrY4m(text: string, path: string): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const pixelsPerModule = Math.floor(Math.min(WIDTH, HEIGHT) / (modules.size + 2 * QUIET_MODULES));
  const side = pixelsPerModule * modules.size;
  const left = Math.floor((WIDTH - side) / 2);
  const top = Math.floor((HEIGHT - side) / 2);
  const luma = Buffer.alloc(WIDTH * HEIGHT, WHITE);
  for (let row = 0; row < modules.size; row++) {
    for (let column = 0; column < modules.size; column++) {
      if (modules.get(row, column) === 0) continue;
      for (let y = 0; y < pixelsPerModule; y++) {
        const start = (top + row * pixelsPerModule + y) * WIDTH + left + column * pixelsPerModule;
        luma.fill(BLACK, start, start + pixelsPerModule);
      }
    }
  }
  // 4:2:0: two quarter-size chroma planes, neutral grey.
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2) * 2, 128);
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F30:1 Ip A1:1 C420jpeg\nFRAME\n`, "ascii");
  writeFileSync(path, Buffer.concat([header, luma, chroma]));
}
