import FedCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PartitionReport {
    /// A self-contained SVG stacked bar chart: one bar per client, one colour per class, with axes,
    /// tick labels, a title and a legend.
    public func svg(title: String) -> String {
        let width = 1100.0, height = 520.0
        let left = 70.0, right = 130.0, top = 50.0, bottom = 60.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let clients = classCounts.count
        let maximum = max(samples.max() ?? 1, 1)
        let yStep = Self.niceStep(Double(maximum), ticks: 6)
        let yTop = (Double(maximum) / yStep).rounded(.up) * yStep
        let barWidth = plotWidth / Double(max(clients, 1))
        let gap = barWidth > 4 ? barWidth * 0.15 : 0

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Self.f(left + plotWidth / 2))" y="28" text-anchor="middle" font-size="16">\(Self.escape(title))</text>

        """
        // Grid lines and y tick labels.
        var tick = 0.0
        while tick <= yTop + yStep / 2 {
            let y = top + plotHeight - tick / yTop * plotHeight
            out += "<line x1=\"\(Self.f(left))\" y1=\"\(Self.f(y))\" x2=\"\(Self.f(left + plotWidth))\" y2=\"\(Self.f(y))\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(Self.f(left - 6))\" y=\"\(Self.f(y + 4))\" text-anchor=\"end\">\(Int(tick))</text>\n"
            tick += yStep
        }
        // Bars, one rectangle per (client, class) with a count.
        out += "<g shape-rendering=\"crispEdges\">\n"
        for (client, counts) in classCounts.enumerated() {
            var base = 0
            let x = left + Double(client) * barWidth + gap / 2
            for (c, count) in counts.enumerated() where count > 0 {
                let y0 = top + plotHeight - Double(base + count) / yTop * plotHeight
                let h = Double(count) / yTop * plotHeight
                out += "<rect x=\"\(Self.f(x))\" y=\"\(Self.f(y0))\" width=\"\(Self.f(max(barWidth - gap, 0.5)))\" "
                    + "height=\"\(Self.f(h))\" fill=\"\(Self.color(c))\"><title>client \(client), c\(c): \(count)</title></rect>\n"
                base += count
            }
        }
        out += "</g>\n"
        // Axes, x tick labels and axis titles.
        out += "<line x1=\"\(Self.f(left))\" y1=\"\(Self.f(top + plotHeight))\" x2=\"\(Self.f(left + plotWidth))\" y2=\"\(Self.f(top + plotHeight))\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(Self.f(left))\" y1=\"\(Self.f(top))\" x2=\"\(Self.f(left))\" y2=\"\(Self.f(top + plotHeight))\" stroke=\"black\"/>\n"
        let xStep = max(1, Int(Self.niceStep(Double(clients), ticks: 10)))
        for client in stride(from: 0, to: clients, by: xStep) {
            let x = left + (Double(client) + 0.5) * barWidth
            out += "<line x1=\"\(Self.f(x))\" y1=\"\(Self.f(top + plotHeight))\" x2=\"\(Self.f(x))\" y2=\"\(Self.f(top + plotHeight + 5))\" stroke=\"black\"/>\n"
            out += "<text x=\"\(Self.f(x))\" y=\"\(Self.f(top + plotHeight + 18))\" text-anchor=\"middle\">\(client)</text>\n"
        }
        out += "<text x=\"\(Self.f(left + plotWidth / 2))\" y=\"\(Self.f(height - 15))\" text-anchor=\"middle\" font-size=\"14\">client</text>\n"
        out += "<text transform=\"translate(18 \(Self.f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">samples</text>\n"
        // Legend.
        let legendX = left + plotWidth + 20
        out += "<text x=\"\(Self.f(legendX))\" y=\"\(Self.f(top + 4))\" font-size=\"13\">class</text>\n"
        for c in 0..<classes {
            let y = top + 14 + Double(c) * 20
            out += "<rect x=\"\(Self.f(legendX))\" y=\"\(Self.f(y))\" width=\"14\" height=\"14\" fill=\"\(Self.color(c))\"/>\n"
            out += "<text x=\"\(Self.f(legendX + 20))\" y=\"\(Self.f(y + 11))\">c\(c)</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// A step of 1, 2 or 5 × 10^n giving at most about `ticks` intervals up to `range`.
    static func niceStep(_ range: Double, ticks: Int) -> Double {
        let raw = max(range, 1) / Double(ticks)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        for factor in [1.0, 2.0, 5.0, 10.0] where factor * magnitude >= raw { return factor * magnitude }
        return 10 * magnitude
    }

    /// Tableau's ten categorical colours, then golden-angle hues for more classes.
    static func color(_ c: Int) -> String {
        let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                       "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
        return c < palette.count ? palette[c] : "hsl(\(Int(Double(c) * 137.508) % 360),55%,55%)"
    }

    /// A coordinate with at most two decimals.
    static func f(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}
