import json,sys
def nb(cells):
    out=[]
    for i,c in enumerate(cells):
        if isinstance(c,str): c=("code",c,[])
        t,src,tags=c
        cell={"cell_type":t,"id":"c%d"%(i+1),"metadata":({"tags":tags} if tags else {}),"source":src.splitlines(True)}
        if t=="code": cell.update(execution_count=None,outputs=[])
        out.append(cell)
    return {"cells":out,"metadata":{"kernelspec":{"name":"labnotes","display_name":"Go (Labnotes)","language":"go"}},"nbformat":4,"nbformat_minor":5}
W=lambda name,cells: json.dump(nb(cells),open(name,"w"),indent=1)
W("good.ipynb",[("markdown","# Good notebook\nSome text.",[]),
 ("code",'var scale = "cpu"\nvar (\n\tepochs = 10\n\tlr = 0.01\n)\nvar verbose = false',["parameters"]),
 'import "os"\n\nfunc main() {\n\tfmt.Println("backend: go (test backend)")\n\tfmt.Printf("scale=%s epochs=%d lr=%v verbose=%v\\n", scale, epochs, lr, verbose)\n\tfmt.Fprintln(os.Stderr, "to stderr")\n}',
 "",
 '!*go get github.com/janpfeifer/gonb@v0.11.5\nimport "github.com/janpfeifer/gonb/gonbui"\n\nfunc main() {\n\tgonbui.DisplayHTML("<b>hello</b>")\n\tid := gonbui.UniqueID()\n\tgonbui.UpdateHTML(id, "<i>first</i>")\n\tgonbui.UpdateHTML(id, "<i>second</i>")\n\t// Wait until GoNB has the displays: a cell program that exits right away can lose\n\t// them in GoNB v0.11.5 (seen under load), which is not what this test is about.\n\tgonbui.Sync()\n}',
 '%%\nfor i := 0; i < 3; i++ {\n\tfmt.Println("line", i)\n}',
])
W("compile_error.ipynb",['%%\nfmt.Println("first ok")','%%\nx := undefinedThing + 1\nfmt.Println(x)','%%\nfmt.Println("never runs")'])
W("panic.ipynb",['%%\nfmt.Println("first ok")','func main() {\n\tvar m map[string]int\n\tm["boom"] = 1\n}','%%\nfmt.Println("never runs")'])
W("exit.ipynb",['%%\nfmt.Println("first ok")','import "os"\n\nfunc main() {\n\tfmt.Println("exiting")\n\tos.Exit(3)\n}','%%\nfmt.Println("never runs")'])
W("loop.ipynb",['%%\nfmt.Println("first ok")','%%\nfmt.Println("looping")\nfor {\n}','%%\nfmt.Println("never runs")'])
W("huge.ipynb",['import (\n\t"bufio"\n\t"os"\n\t"strings"\n)\n\nfunc main() {\n\tw := bufio.NewWriterSize(os.Stdout, 1<<20)\n\tline := strings.Repeat("x", 1023) + "\\n"\n\tfor i := 0; i < 200*1024; i++ {\n\t\tw.WriteString(line)\n\t}\n\tw.Flush()\n}','%%\nfmt.Println("after huge")'])
W("kill.ipynb",['%%\nfmt.Println("first ok")','import (\n\t"os"\n\t"syscall"\n\t"time"\n)\n\nfunc main() {\n\tfmt.Println("killing the kernel")\n\tsyscall.Kill(os.Getppid(), syscall.SIGKILL)\n\ttime.Sleep(time.Second)\n}','%%\nfmt.Println("never runs")'])
W("tags.ipynb",['%%\nfmt.Println("first ok")',("code",'%%\nthis does not compile',["skip-execution"]),("code",'func main() {\n\tpanic("expected")\n}',["raises-exception"]),'%%\nx := undefinedThing + 1\nfmt.Println(x)','%%\nfmt.Println("after the failure")'])
W("rich.ipynb",['!*go get github.com/janpfeifer/gonb@v0.11.5\nimport (\n\t"strings"\n\n\t"github.com/janpfeifer/gonb/gonbui"\n)\n\nfunc main() {\n\tbig := "<p>" + strings.Repeat("x", 4<<20) + "</p>"\n\tfor i := 0; i < 3; i++ {\n\t\tgonbui.DisplayHTML(big)\n\t}\n\tgonbui.Sync()\n}','%%\nfmt.Println("after rich")'])
