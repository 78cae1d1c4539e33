using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Wharf.Tests.Ui.Browser;

/// <summary>
/// Debian's Chromium, headless, driven through Debian's chromedriver by Selenium. Both paths are
/// given, so Selenium never looks for (or downloads) a browser of its own.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    public const string NotInstalledMessage = "chromium and chromedriver are not installed: run .ci/run or apt-get install chromium chromium-driver";

    private const string BrowserPath = "/usr/bin/chromium";
    private const string DriverPath = "/usr/bin/chromedriver";

    private readonly ChromeDriver _driver;

    public HeadlessChromium(int width = 1280, int height = 900, bool dark = false)
    {
        if (!File.Exists(BrowserPath) || !File.Exists(DriverPath))
        {
            throw new InvalidOperationException(NotInstalledMessage);
        }
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        options.AddArguments(
            "--headless=new",
            // Tests run as root in CI, where Chromium's sandbox cannot start.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            $"--window-size={width},{height}");
        if (dark)
        {
            options.AddArgument("--force-dark-mode");
            options.AddArgument("--blink-settings=preferredColorScheme=0");
        }
        options.SetLoggingPreference(LogType.Browser, OpenQA.Selenium.LogLevel.All);
        _driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public IWebDriver Driver => _driver;

    /// <summary>Opens <paramref name="url"/> and waits until the page says it has drawn its view.</summary>
    public void Open(Uri url)
    {
        _driver.Navigate().GoToUrl(url);
        WaitUntilReady();
    }

    /// <summary>Waits for the page's script to set <c>data-ready="1"</c> on the body: it does once a
    /// view (or its error) is on the screen.</summary>
    public void WaitUntilReady() =>
        Until(d => (string?)((IJavaScriptExecutor)d).ExecuteScript("return document.body.dataset.ready") == "1");

    public T Until<T>(Func<IWebDriver, T> condition, double seconds = 15)
    {
        var wait = new WebDriverWait(_driver, TimeSpan.FromSeconds(seconds));
        // The page redraws its tables while it is asked: an element read just before is gone.
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(NoSuchElementException));
        return wait.Until(condition);
    }

    public IWebElement Find(string css) => _driver.FindElement(By.CssSelector(css));

    public IReadOnlyList<IWebElement> FindAll(string css) => _driver.FindElements(By.CssSelector(css));

    /// <summary>Saves what the browser shows (the whole page height) as a PNG.</summary>
    public void SaveScreenshot(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // The window grows to the page's height, so the shot shows everything below the fold too.
        var height = Convert.ToInt32(((IJavaScriptExecutor)_driver).ExecuteScript("return Math.min(4000, document.documentElement.scrollHeight)"), System.Globalization.CultureInfo.InvariantCulture);
        var size = _driver.Manage().Window.Size;
        // The window's height includes the browser's own frame, which the page does not get.
        var frame = Convert.ToInt32(((IJavaScriptExecutor)_driver).ExecuteScript("return window.outerHeight - window.innerHeight"), System.Globalization.CultureInfo.InvariantCulture);
        _driver.Manage().Window.Size = new System.Drawing.Size(size.Width, Math.Max(size.Height, height + frame));
        _driver.GetScreenshot().SaveAsFile(path);
        _driver.Manage().Window.Size = size;
    }

    /// <summary>Errors the page's script met (uncaught exceptions, anything the content security
    /// policy refused), leaving out the console's note on each API answer of 4xx, which the pages
    /// expect and show.</summary>
    public IReadOnlyList<string> ScriptErrors() =>
        [.. _driver.Manage().Logs.GetLog(LogType.Browser)
            .Where(e => e.Level == OpenQA.Selenium.LogLevel.Severe && !e.Message.Contains("Failed to load resource", StringComparison.Ordinal))
            .Select(e => e.Message)];

    public void Dispose() => _driver.Quit();
}
