import Foundation

/// A small inline SVG line chart (no scripts, no external assets) for ``RunReport``.
struct SVGLineChart {
    /// One named line.
    struct Series {
        let name: String
        let color: String
        let points: [(x: Double, y: Double)]
    }

    let title: String
    let xLabel: String
    let yLabel: String
    let series: [Series]
    var width = 540.0
    var height = 300.0

    /// The `<svg>` element; a chart without points says so instead of drawing empty axes.
    func render() -> String {
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let left = 64.0, right = 16.0, top = 34.0, bottom = 46.0
        let plotW = width - left - right, plotH = height - top - bottom
        var svg = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \##(Int(width)) \##(Int(height))" width="\##(Int(width))" height="\##(Int(height))" role="img" aria-label="\##(escape(title))">"##
        svg += ##"<rect width="100%" height="100%" fill="#fff"/>"##
        svg += ##"<text x="\##(Int(width / 2))" y="20" text-anchor="middle" font-size="15" font-weight="600">\##(escape(title))</text>"##
        guard let minX = all.map(\.x).min(), let maxX = all.map(\.x).max(),
              let rawMinY = all.map(\.y).min(), let rawMaxY = all.map(\.y).max() else {
            return svg + ##"<text x="\##(Int(width / 2))" y="\##(Int(height / 2))" text-anchor="middle" fill="#888">no data in this results file</text></svg>"##
        }
        let (minY, maxY) = Self.niceRange(rawMinY, rawMaxY)
        let spanX = maxX > minX ? maxX - minX : 1
        func px(_ x: Double) -> Double { left + (x - minX) / spanX * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y - minY) / (maxY - minY) * plotH }
        for i in 0...4 {
            let y = minY + (maxY - minY) * Double(i) / 4
            svg += ##"<line x1="\##(f(left))" x2="\##(f(left + plotW))" y1="\##(f(py(y)))" y2="\##(f(py(y)))" stroke="#e4e4e4"/>"##
            svg += ##"<text x="\##(f(left - 6))" y="\##(f(py(y) + 4))" text-anchor="end" font-size="11">\##(Self.tick(y))</text>"##
            let x = minX + spanX * Double(i) / 4
            svg += ##"<text x="\##(f(px(x)))" y="\##(f(top + plotH + 16))" text-anchor="middle" font-size="11">\##(Self.tick(x))</text>"##
        }
        svg += ##"<rect x="\##(f(left))" y="\##(f(top))" width="\##(f(plotW))" height="\##(f(plotH))" fill="none" stroke="#999"/>"##
        svg += ##"<text x="\##(f(left + plotW / 2))" y="\##(f(height - 8))" text-anchor="middle" font-size="12">\##(escape(xLabel))</text>"##
        svg += ##"<text transform="translate(14 \##(f(top + plotH / 2))) rotate(-90)" text-anchor="middle" font-size="12">\##(escape(yLabel))</text>"##
        for (index, line) in series.enumerated() {
            let points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            guard !points.isEmpty else { continue }
            let path = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            svg += ##"<polyline fill="none" stroke="\##(line.color)" stroke-width="2" points="\##(path)"/>"##
            if points.count <= 60 {
                for p in points { svg += ##"<circle cx="\##(f(px(p.x)))" cy="\##(f(py(p.y)))" r="2.5" fill="\##(line.color)"/>"## }
            }
            if series.count > 1 {
                let ly = top + 14 + Double(index) * 16
                svg += ##"<rect x="\##(f(left + 10))" y="\##(f(ly - 9))" width="12" height="3" fill="\##(line.color)"/>"##
                svg += ##"<text x="\##(f(left + 27))" y="\##(f(ly - 4))" font-size="11">\##(escape(line.name))</text>"##
            }
        }
        return svg + "</svg>"
    }

    /// A y range with a little headroom; a flat series gets a visible band.
    static func niceRange(_ low: Double, _ high: Double) -> (Double, Double) {
        // Counts, bytes and seconds never go below zero: neither does their axis.
        let floor = low >= 0 ? 0.0 : -Double.infinity
        if high - low < 1e-12 { return (max(floor, low - max(abs(low) * 0.1, 1e-3)), high + max(abs(high) * 0.1, 1e-3)) }
        let pad = (high - low) * 0.05
        return (max(floor, low - pad), high + pad)
    }

    /// Axis labels: integers plainly, large numbers with k/M/G, small ones with 3 significant digits.
    static func tick(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return String(format: "%.3gG", v / 1e9) }
        if a >= 1e6 { return String(format: "%.3gM", v / 1e6) }
        if a >= 1e4 { return String(format: "%.3gk", v / 1e3) }
        if v == v.rounded(), a < 1e4 { return String(Int(v)) }
        return String(format: "%.3g", v)
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }
}

/// Escapes text for HTML and SVG.
func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
